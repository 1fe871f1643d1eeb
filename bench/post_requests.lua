-- wrk script of the benchmarks (bench/wrk.py): POSTs priority requests, each with a contract
-- number and an Idempotency-Key of its own, and reports what it got as one JSON line.
--
-- wrk -s bench/post_requests.lua URL -- BODY_FILE TOKEN NONCE [MEAN_DELAY_MS]
--   BODY_FILE      a request body in which @@N@@ stands for the request's number
--   TOKEN          the bearer credential sent with every request
--   NONCE          makes the Idempotency-Keys of one run unlike those of any other
--   MEAN_DELAY_MS  0 (default): a closed loop, each connection sends its next request as soon
--                  as the last is answered; otherwise each connection waits an exponentially
--                  distributed pause of this mean before its next request (an open-ish stream
--                  of about connections * 1000 / MEAN_DELAY_MS requests per second)

local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "r"))
  local template = file:read("*a")
  file:close()
  local at = assert(template:find("@@N@@", 1, true), "no @@N@@ in the body")
  head, tail = template:sub(1, at - 1), template:sub(at + 5)
  auth = "Bearer " .. args[2]
  nonce = args[3]
  mean_delay = tonumber(args[4] or "0")
  sent = 0
  statuses = {}
  math.randomseed(thread_number * 7919 + 17)
end

function request()
  sent = sent + 1
  local n = thread_number * 100000000 + sent
  return wrk.format("POST", nil, {
    ["Authorization"] = auth,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = nonce .. "-" .. n,
  }, head .. string.format("%09d", n) .. tail)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function delay()
  if mean_delay <= 0 then
    return 0
  end
  return math.floor(-math.log(1 - math.random()) * mean_delay)
end

function done(summary, latency, requests)
  local counted = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counted[tostring(status)] = (counted[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counted) do
    table.insert(parts, string.format('"%s": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    '@@RESULT@@ {"requests": %d, "duration_us": %d, "statuses": {%s}, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, '
      .. '"latency_us": {"p50": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, table.concat(parts, ", "),
    e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean))
end
