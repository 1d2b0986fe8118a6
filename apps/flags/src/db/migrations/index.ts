/** flags' migrations, oldest first. Append only. */
import { Initial1763790000000 } from './1763790000000-initial';

export const migrations = [Initial1763790000000];
