/** promotion's migrations, oldest first. Append only. */
import { Initial1763790000000 } from './1763790000000-initial';
import { GitPromotion1763810000000 } from './1763810000000-git-promotion';
import { ApprovalChain1763820000000 } from './1763820000000-approval-chain';
import { WithdrawalsAndMergeBack1764930000000 } from './1764930000000-withdrawals-and-merge-back';

export const migrations = [Initial1763790000000, GitPromotion1763810000000, ApprovalChain1763820000000, WithdrawalsAndMergeBack1764930000000];
