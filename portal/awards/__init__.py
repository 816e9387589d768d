"""Awards: each lot's award decision (proposed, then approved by a second officer),
assessment summaries to every assessed bidder, the contract award notice and its
standstill in working days, and the contracts that become the new agreements."""
