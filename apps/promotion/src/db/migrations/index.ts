/** promotion's migrations, oldest first. Append only. */
import { Initial1763790000000 } from './1763790000000-initial';
import { GitPromotion1763810000000 } from './1763810000000-git-promotion';

export const migrations = [Initial1763790000000, GitPromotion1763810000000];
