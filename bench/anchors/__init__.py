"""The anchors of the benchmarks: what the services' own stacks do with none of sosa's work, run
in the same `make bench` as the services, on the same machine, so that every service figure can
be read as a ratio (docs/performance.md).

a. `bare_endpoint`: FastAPI + uvicorn (served exactly as the services are, sosa.infra.serving)
   validating the same body with the same model and answering 202;
a2. `durable_accept`: the minimal durable accept a peer would write (#25): the same validation,
   one asyncpg transaction inserting the body, one aiokafka `acks=all` produce on the
   authenticated bus, 202 after both;
b. `passthrough`: aiokafka consume -> transactional produce on the same topic and partitions as
   the router, with as many outputs per input as the router publishes;
c. `raw_poster`: httpx posting the same signed payloads the notifier posted, to the same
   receiver, with the notifier's concurrency per endpoint.

Each runs as a process of its own, so that its CPU time can be read from /proc like a service's.
"""
