-- +goose Up
-- Suspensions of awards and the withdrawal feed (issue 6; payroll/suspension.go,
-- sqlstore/award_suspension.go).
--
-- award_suspensions keeps each period an award was suspended: from
-- starts_on until ends_on (NULL while it lasts), why (reason, e.g.
-- 'not_withdrawn'), who suspended it and who resumed it and why (0: dost
-- itself). An award has at most one open suspension.
--
-- payment_withdrawals records that the money of a payment was withdrawn
-- from the payee's account (the banks' withdrawal feed, event kind
-- payment_withdrawn): once per payment, the first report's date kept.
-- Targeted social assistance is suspended when its money is not
-- withdrawn for 2 months (az-programmes.md, TSSA: [S41][S44]).

CREATE TABLE award_suspensions (
    id            INTEGER PRIMARY KEY,
    award_id      INTEGER NOT NULL REFERENCES awards (id),
    reason        TEXT    NOT NULL,
    starts_on     TEXT    NOT NULL,
    ends_on       TEXT   ,
    suspended_by  INTEGER NOT NULL DEFAULT 0,
    resumed_by    INTEGER NOT NULL DEFAULT 0,
    resume_reason TEXT    NOT NULL DEFAULT '',
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE UNIQUE INDEX award_suspensions_open ON award_suspensions (award_id) WHERE ends_on IS NULL;
CREATE INDEX award_suspensions_award ON award_suspensions (award_id, starts_on);

CREATE TABLE payment_withdrawals (
    payment_id   INTEGER NOT NULL PRIMARY KEY REFERENCES payments (id),
    award_id     INTEGER NOT NULL REFERENCES awards (id),
    withdrawn_on TEXT    NOT NULL,
    at           TEXT    NOT NULL
);
CREATE INDEX payment_withdrawals_award ON payment_withdrawals (award_id, withdrawn_on);

-- +goose Down
DROP TABLE payment_withdrawals;
DROP TABLE award_suspensions;
