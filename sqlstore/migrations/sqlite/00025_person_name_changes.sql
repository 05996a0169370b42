-- +goose Up
-- A bank file exported again must be the bytes the bank got, so it carries
-- each payee's name as it was when the file was first written
-- (payroll_files.names_seq: the last name change then). Every change of a
-- person's name, by any path (a case worker's edit, a registry import), keeps
-- the name it replaces here; ids only grow.
CREATE TABLE person_name_changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id   INTEGER NOT NULL,
    first_name  TEXT    NOT NULL,
    last_name   TEXT    NOT NULL,
    patronymic  TEXT    NOT NULL
);
CREATE INDEX person_name_changes_person ON person_name_changes (person_id, id);

-- +goose StatementBegin
CREATE TRIGGER persons_name_change AFTER UPDATE OF first_name, last_name, patronymic ON persons
WHEN OLD.first_name IS NOT NEW.first_name OR OLD.last_name IS NOT NEW.last_name OR OLD.patronymic IS NOT NEW.patronymic
BEGIN
    INSERT INTO person_name_changes (person_id, first_name, last_name, patronymic)
    VALUES (OLD.id, OLD.first_name, OLD.last_name, OLD.patronymic);
END;
-- +goose StatementEnd

ALTER TABLE payroll_files ADD COLUMN names_seq INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE payroll_files DROP COLUMN names_seq;
DROP TRIGGER persons_name_change;
DROP TABLE person_name_changes;
