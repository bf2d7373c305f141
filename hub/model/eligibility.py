"""When a child's migrant eligibility expires (DOMAIN.md §2.2, §4, §9).

DOMAIN.md: "QAD + 36 months, sooner at age 22, graduation or HSE". The hub's reading:

- The Eligibility Expiration Date is the first day the child is *no longer* eligible: CEDS
  element 000430 (Migrant Education Program Eligibility Expiration Date) defines it as the day
  on which the child is no longer eligible, initially 36 months from the QAD or the day the
  student reaches 22, whichever comes first. The child is eligible through the day before.
- 36 months: QAD 2021-03-15 expires on 2024-03-15 (eligible through 2024-03-14).
- Age 22: a migratory child is under 22 (DOMAIN.md §9 "generally 3-21"; 34 CFR 200.103(a)); the
  22nd birthday is the first day the child is older than 21, so it is the expiration date, not
  the day before. Both bounds are "first day no longer eligible", so the earlier one wins.
- A day that does not exist in the target month (a QAD or birth date of 29 February, or the 31st)
  falls back to the last day of that month, the usual calendar-month rule and what SQL
  `DATEADD`/`relativedelta` give, so the hub's date agrees with state systems and never extends
  eligibility: QAD 2020-02-29 expires on 2023-02-28.
- Graduation, HSE and state-specific reasons end eligibility sooner; the hub cannot compute those,
  so a state's earlier date is only a warning (see `hub.model.rules`).
"""

from __future__ import annotations

import calendar
from datetime import date

ELIGIBILITY_MONTHS = 36
AGE_LIMIT_YEARS = 22


def add_months(start: date, months: int) -> date:
    """`start` moved by whole calendar months, clamped to the last day of the target month."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last_day))


def age_limit_date(birth_date: date) -> date:
    """The 22nd birthday: the first day the child is older than 21."""
    return add_months(birth_date, AGE_LIMIT_YEARS * 12)


def eligibility_expiration(qad: date, birth_date: date | None) -> date:
    """The first day the child is no longer eligible: the earlier of QAD + 36 months and the
    22nd birthday (when the birth date is known)."""
    end = add_months(qad, ELIGIBILITY_MONTHS)
    if birth_date is not None:
        end = min(end, age_limit_date(birth_date))
    return end
