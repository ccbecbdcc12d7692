#include "rules/manager.h"

#include <utility>
#include <variant>

#include "base/status_macros.h"
#include "model/timestamp.h"
#include "promql/parser.h"

namespace vigil::rules {
namespace {

Result<promql::Vector> ToVector(Result<promql::Value> v) {
  if (!v.ok()) return v.status();
  if (auto* vec = std::get_if<promql::Vector>(&*v)) return std::move(*vec);
  if (auto* s = std::get_if<promql::Scalar>(&*v)) {
    return promql::Vector{promql::Sample{model::Labels(), s->t, s->v}};
  }
  return FailedPreconditionError("rule result is not a vector or scalar");
}

}  // namespace

EvalContext MakeEvalContext(promql::Engine* engine, storage::Queryable* queryable,
                            model::Labels external_labels, std::string external_url) {
  EvalContext ctx;
  ctx.query = [engine, queryable](const promql::Expr& e, int64_t t) {
    return ToVector(engine->Instant(queryable, e, t));
  };
  ctx.query_string = [engine, queryable](std::string_view q, int64_t t) {
    return ToVector(engine->InstantQuery(queryable, q, t));
  };
  ctx.external_labels = std::move(external_labels);
  ctx.external_url = std::move(external_url);
  return ctx;
}

Manager::Manager(ManagerOptions opts)
    : opts_(std::move(opts)),
      ctx_(MakeEvalContext(opts_.engine, opts_.queryable, opts_.external_labels,
                           opts_.external_url)) {}

Manager::~Manager() { Stop(); }

Status Manager::Update(std::chrono::milliseconds interval, const std::vector<std::string>& files,
                       std::string_view dir) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<GroupNode> groups, LoadRuleFiles(files, dir));
  VIGIL_RETURN_IF_ERROR(CheckAnomalyRules(groups, opts_.anomaly_scorers));
  Apply(interval, std::move(groups));
  return Status::OK();
}

Status CheckAnomalyRules(const std::vector<GroupNode>& groups,
                         const AnomalyScorerFactory& factory) {
  for (const GroupNode& g : groups) {
    for (const RuleNode& r : g.rules) {
      if (!r.anomaly) continue;
      const std::string where = g.file + ":" + std::to_string(r.detector_line) + ":" +
                                std::to_string(r.detector_column) + ": group \"" + g.name +
                                "\", anomaly rule \"" + r.name + "\"";
      if (!factory) {
        return InvalidArgumentError(where + ": anomaly rules are not supported here");
      }
      Result<std::unique_ptr<AnomalyScorer>> s = factory(r);
      if (!s.ok()) return InvalidArgumentError(where + ": " + std::string(s.status().message()));
    }
  }
  return Status::OK();
}

void Manager::Apply(std::chrono::milliseconds interval, std::vector<GroupNode> groups) {
  GroupOptions go;
  go.anomaly_scorers = opts_.anomaly_scorers;
  go.appendable = opts_.appendable;
  go.queryable = opts_.queryable;
  go.notify = opts_.notify;
  go.resend_delay = opts_.resend_delay;
  go.outage_tolerance = opts_.outage_tolerance;
  go.for_grace_period = opts_.for_grace_period;

  std::vector<Running> stopping;
  {
    std::lock_guard lock(mu_);
    go.ctx = ctx_;
    // New external labels or URL: no group may keep running as it was.
    const bool keep_unchanged = !ctx_changed_;
    ctx_changed_ = false;
    std::vector<Running> old = std::move(running_);
    running_.clear();
    for (auto& node : groups) {
      const auto iv = node.interval.count() > 0 ? node.interval : interval;
      Running* prev = nullptr;
      for (auto& o : old) {
        if (o.group != nullptr && o.group->file() == node.file && o.group->name() == node.name) {
          prev = &o;
          break;
        }
      }
      if (keep_unchanged && prev != nullptr && prev->group->SameAs(node, iv)) {
        running_.push_back(std::move(*prev));  // unchanged: keeps running
        prev->group = nullptr;
        continue;
      }
      auto g = std::make_shared<Group>(std::move(node), iv, go, /*restored=*/restored_);
      if (prev != nullptr) {
        // Stop the old version before taking its state over.
        prev->thread.request_stop();
        if (prev->thread.joinable()) prev->thread.join();
        g->CopyState(*prev->group);
        prev->group = nullptr;
      }
      Running r{g, {}};
      if (opts_.run) r.thread = std::jthread([g](std::stop_token st) { g->Run(st); });
      running_.push_back(std::move(r));
    }
    for (auto& o : old) {
      if (o.group == nullptr) continue;
      o.group->set_mark_stale_on_stop();
      stopping.push_back(std::move(o));
    }
    restored_ = true;
  }
  for (auto& s : stopping) {
    s.thread.request_stop();
    if (s.thread.joinable()) {
      s.thread.join();
    } else {
      s.group->MarkStale(model::NowMillis());
    }
  }
}

void Manager::SetExternal(model::Labels external_labels, std::string external_url) {
  std::lock_guard lock(mu_);
  if (external_labels == ctx_.external_labels && external_url == ctx_.external_url) return;
  ctx_ = MakeEvalContext(opts_.engine, opts_.queryable, std::move(external_labels),
                         std::move(external_url));
  ctx_changed_ = true;
}

void Manager::Stop() {
  std::vector<Running> all;
  {
    std::lock_guard lock(mu_);
    all = std::move(running_);
    running_.clear();
  }
  for (auto& r : all) r.thread.request_stop();
  for (auto& r : all) {
    if (r.thread.joinable()) r.thread.join();
  }
}

std::vector<std::shared_ptr<Group>> Manager::Groups() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Group>> out;
  out.reserve(running_.size());
  for (const auto& r : running_) out.push_back(r.group);
  return out;
}

}  // namespace vigil::rules
