-- The Prefect server's own database, beside the shared stkkr database (POSTGRES_DB); Prefect needs pg_trgm.
CREATE DATABASE prefect;
\c prefect
CREATE EXTENSION IF NOT EXISTS pg_trgm;
