-- +goose Up
-- API tokens with scopes (issue 7, hardening; user.go, sqlstore/user.go).
--
-- api_tokens.scopes lists what a bearer token may do, separated by
-- spaces: "*" (everything its user's roles allow), "*:read" (every read)
-- or area scopes such as "persons:read" and "payroll:write"
-- (http/scope.go derives the scope a route needs from its pattern).
-- Tokens made before this migration keep full access: "*".
--
-- sessions_user_seen lists a user's sessions, newest use first, for
-- /account/sessions.

ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT '*';
CREATE INDEX sessions_user_seen ON sessions (user_id, last_seen_at);

-- +goose Down
DROP INDEX sessions_user_seen;
ALTER TABLE api_tokens DROP COLUMN scopes;
