-- wrk script of the benchmarks: requests from a file of tab-separated lines, one picked
-- at random for each request. wrk ... -s bench/wrk_lines.lua URL -- FILE MODE [THREADS]
--   MODE reserve: "<bearer>\t<JSON body>"  → POST /api/v1/reservations
--   MODE poll:    "<token>\t<bearer>"      → GET /api/v1/reservations/requests/<token>
--   MODE reserve-once: as reserve, but the lines in order, each sent once (from the start
--     again past the end), shared out among wrk's THREADS threads (the same as wrk -t)
local firsts, seconds, n, mode = {}, {}, 0, "reserve"
local threads_made, thread_index, threads, sent = 0, 1, 1, 0

function setup(thread)
  threads_made = threads_made + 1
  thread:set("index", threads_made)
end

function init(args)
  mode = args[2] or mode
  threads = tonumber(args[3] or "1")
  thread_index = tonumber(index or 1)
  for line in io.lines(args[1]) do
    local a, b = line:match("([^\t]+)\t(.+)")
    n = n + 1; firsts[n] = a; seconds[n] = b
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  local i
  if mode == "reserve-once" then
    i = (sent * threads + thread_index - 1) % n + 1
    sent = sent + 1
  else
    i = math.random(n)
  end
  if mode == "poll" then
    return wrk.format("GET", "/api/v1/reservations/requests/" .. firsts[i], {["Authorization"] = "Bearer " .. seconds[i]})
  end
  return wrk.format("POST", "/api/v1/reservations",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. firsts[i]}, seconds[i])
end
