-- Replays prepared envelopes round-robin. Set by the driver through environment variables:
--   BENCH_DIR (envelopes + index.lua), BENCH_PATH (URL path), BENCH_AUTH (X-Sentry-Auth),
--   BENCH_RESULT (where done() writes its figures as JSON).
local dir = os.getenv("BENCH_DIR")
local path = os.getenv("BENCH_PATH")
local auth = os.getenv("BENCH_AUTH")
local requests = {}
local counter = 0

local function read(name)
  local f = assert(io.open(dir .. "/" .. name, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

function init(args)
  local index = dofile(dir .. "/index.lua")
  for i, entry in ipairs(index) do
    local headers = {["X-Sentry-Auth"] = auth,
                     ["Content-Type"] = "application/x-sentry-envelope"}
    if entry.encoding ~= "" then headers["Content-Encoding"] = entry.encoding end
    requests[i] = wrk.format("POST", path, headers, read(entry.file))
  end
  -- Threads start at different offsets so they don't send the same envelopes in step.
  counter = math.random(#requests)
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end


function done(summary, latency, requests)
  local out = io.open(os.getenv("BENCH_RESULT"), "w")
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, ' ..
    '"non2xx": %d, "errors": %d}',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), summary.errors.status, summary.errors.connect +
    summary.errors.read + summary.errors.write + summary.errors.timeout))
  out:close()
end
