/** qa-gate's migrations, oldest first. Append only. */
import { Initial1763790000000 } from './1763790000000-initial';
import { LandingsAndEnrichment1763800000000 } from './1763800000000-landings-and-enrichment';
import { HistoryTrueLandings1764930000000 } from './1764930000000-history-true-landings';

export const migrations = [Initial1763790000000, LandingsAndEnrichment1763800000000, HistoryTrueLandings1764930000000];
