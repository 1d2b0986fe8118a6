/** trail's migrations, oldest first. Append only. */
import { Initial1765000000000 } from './1765000000000-initial';
import { Trail1765000000001 } from './1765000000001-trail';

export const migrations = [Initial1765000000000, Trail1765000000001];
