-- wrk script of the benchmarks: requests from a file of tab-separated lines, one picked
-- at random for each request. wrk ... -s bench/wrk_lines.lua URL -- FILE MODE
--   MODE reserve: "<bearer>\t<JSON body>"  → POST /api/v1/reservations
--   MODE poll:    "<token>\t<bearer>"      → GET /api/v1/reservations/requests/<token>
local firsts, seconds, n, mode = {}, {}, 0, "reserve"
function init(args)
  mode = args[2] or mode
  for line in io.lines(args[1]) do
    local a, b = line:match("([^\t]+)\t(.+)")
    n = n + 1; firsts[n] = a; seconds[n] = b
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end
function request()
  local i = math.random(n)
  if mode == "poll" then
    return wrk.format("GET", "/api/v1/reservations/requests/" .. firsts[i], {["Authorization"] = "Bearer " .. seconds[i]})
  end
  return wrk.format("POST", "/api/v1/reservations",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. firsts[i]}, seconds[i])
end
