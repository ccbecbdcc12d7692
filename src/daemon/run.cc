#include "daemon/run.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "vigil/agent.h"

namespace vigil::daemon {

Status Run(const RunOptions& options) {
  // Signals are taken synchronously by this thread; every other thread
  // (the agent's, started below) inherits the mask and never sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  AgentOptions ao;
  ao.config_file = options.config_file;
  ao.storage_path = options.storage_path;
  ao.listen_address = options.listen_address;
  ao.external_url = options.external_url;
  ao.query_timeout = options.query.timeout;
  ao.query_max_samples = options.query.max_samples;
  ao.query_max_concurrency = options.query.max_concurrent_queries;
  ao.query_lookback_delta = std::chrono::milliseconds(options.query.lookback_delta_ms);
  ao.rules_resend_delay = options.rules_resend_delay;
  ao.rules_for_grace_period = options.rules_for_grace_period;
  ao.rules_outage_tolerance = options.rules_outage_tolerance;
  Result<std::unique_ptr<Agent>> started = Agent::Start(std::move(ao));
  if (!started.ok()) return started.status();
  std::unique_ptr<Agent> agent = std::move(started).value();

  const auto deadline =
      options.duration_s > 0
          ? std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>(options.duration_s))
          : std::chrono::steady_clock::time_point::max();
  for (;;) {
    timespec wait{0, 200 * 1000 * 1000};
    const int sig = sigtimedwait(&signals, nullptr, &wait);
    if (std::chrono::steady_clock::now() >= deadline) break;
    if (sig == SIGINT || sig == SIGTERM) {
      std::fprintf(stderr, "vigil: received signal %d, draining and shutting down\n", sig);
      break;
    }
    if (sig == SIGHUP) {
      Status st = agent->Reload();  // the agent logs the outcome
      (void)st;
    }
  }
  return agent->Stop();
}

}  // namespace vigil::daemon
