"""What the bid pages say that is policy rather than code: the legal
declarations a bidder confirms (kept as data, as the Digital Marketplace does,
so that a change of wording is a change here and nowhere else)."""

from __future__ import annotations

DECLARATIONS = (
    "The information in this bid is true, complete and accurate, and we will tell the council at once if it "
    "changes before a contract is awarded.",
    "We have not colluded with any other organisation over this bid, its prices or whether to bid, and have not "
    "offered or received any inducement in connection with it.",
    "We have declared to the council every actual or potential conflict of interest, including any link with "
    "the council's staff or councillors.",
    "We will comply with the law and statutory guidance on safeguarding children and adults at risk, including "
    "safer recruitment and Disclosure and Barring Service checks.",
)
