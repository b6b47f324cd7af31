-- wrk script: POST send-text-message with a fresh uuid every time.
-- Environment: PARLEY_BENCH_TOKEN (the API token), PARLEY_BENCH_PATH (the send-text-message path).
local counter = 0
local prefix = nil

function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
  prefix = string.format("%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
  wrk.method = "POST"
  wrk.path = os.getenv("PARLEY_BENCH_PATH")
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = os.getenv("PARLEY_BENCH_TOKEN")
end

function request()
  counter = counter + 1
  local body = string.format('{"uuid":"%s-%d","text":"Hello from the benchmark, message %d"}', prefix, counter, counter)
  return wrk.format(nil, nil, nil, body)
end
