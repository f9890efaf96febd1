-- wrk reporting hook: one JSON line with throughput and latency percentiles (microseconds). "refused" counts the
-- answers with a status of 400 or more (a 429 of a rate limit, a 500), "errors" the connections that failed or
-- timed out; wrk counts both kinds of answers in "requests".
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "errors": %d, "refused": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration / 1e6, errors, summary.errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
