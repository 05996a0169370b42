-- +goose Up
-- The per-person booking limit (issue 5; hall.BookingLimits,
-- sqlstore/hall_visit.go) reads a person's future bookings by the FIN
-- given at booking: this index finds them without scanning every future
-- booking of every centre. (Bookings by a signed-in citizen are found by
-- appointments_person.)
CREATE INDEX appointments_fin_booked ON appointments (fin, starts_at) WHERE status = 'booked' AND fin <> '';

-- +goose Down
DROP INDEX appointments_fin_booked;
