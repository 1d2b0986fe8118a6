/** flags' migrations, oldest first. Append only. */
import { Initial1763790000000 } from './1763790000000-initial';
import { Flags1763900000000 } from './1763900000000-flags';

export const migrations = [Initial1763790000000, Flags1763900000000];
