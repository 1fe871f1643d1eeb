-- Run once by the postgres image on an empty data directory (/docker-entrypoint-initdb.d):
-- one database per service, as each service owns its tables and migrates them itself at start.
CREATE DATABASE sosa_intake;
CREATE DATABASE sosa_router;
CREATE DATABASE sosa_notifier;
