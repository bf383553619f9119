-- wrk's `done` hook for bench/router.sh: prints the run's request count and its latency (µs) at
-- each 0.05 % from 95 % to 99.95 %, so that runs can be pooled: the p99 of all their requests
-- together, not only a median of each run's p99. Nothing runs per request.
done = function(summary, latency, requests)
  local values = {}
  for i = 0, 99 do
    values[#values + 1] = string.format("%d", latency:percentile(95 + i * 0.05))
  end
  io.write(string.format("latency-table %d %s\n", summary.requests, table.concat(values, " ")))
end
