-- compose.yaml's PostgreSQL, first start only: the app connects as an ordinary role, as in CI and production,
-- because a superuser would bypass loyalty's row-level security. CREATEDB for `manage.py restore_drill`.
CREATE ROLE pamoja LOGIN PASSWORD 'pamoja' CREATEDB NOSUPERUSER NOBYPASSRLS;
CREATE DATABASE pamoja OWNER pamoja;
