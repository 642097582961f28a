#include "tecscan/packing.hpp"

#include <algorithm>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>

namespace tecscan {

// A new field must be compared below before requests that differ in it can be told apart.
static_assert(sizeof(ModelConfig) == 56,
              "ModelConfig changed: compare the new field in same_training (packing.cpp), then "
              "update this size");
static_assert(sizeof(TrainConfig) == 72,
              "TrainConfig changed: compare the new field in same_training (packing.cpp), then "
              "update this size");

bool same_training(ModelKind ka, const ModelConfig& ma, const TrainConfig& ta, size_t ntime_a,
                   ModelKind kb, const ModelConfig& mb, const TrainConfig& tb, size_t ntime_b) {
  auto model = [](const ModelConfig& m) {
    return std::tie(m.window, m.mlp_hidden, m.cnn_filters, m.cnn_kernel, m.cnn_pool, m.rnn_units,
                    m.gru_units, m.gru_reset_after, m.lstm_units, m.lstm_dense, m.lstm_activation,
                    m.cnnlstm_subseq, m.cnnlstm_units, m.cnnlstm_activation);
  };
  auto train = [](const TrainConfig& t) {
    return std::tie(t.epochs, t.batch, t.train_fraction, t.adam.lr, t.adam.beta1, t.adam.beta2,
                    t.adam.eps, t.seed, t.holdout.begin, t.holdout.end, t.patience,
                    t.validation_fraction, t.keep_params, t.precision);
  };
  return ka == kb && ntime_a == ntime_b && model(ma) == model(mb) && train(ta) == train(tb);
}

struct PackedTraining::Request {
  Request(ModelKind k, const ModelConfig& m, const TrainConfig& t, const Cube& c, Progress* p,
          int s)
      : kind(k), mc(m), tc(t), cube(c), progress(p), slot(s) {}
  ModelKind kind;
  const ModelConfig& mc;
  const TrainConfig& tc;
  const Cube& cube;
  Progress* progress;
  int slot;
  bool done = false;
  ModelRun result;
  std::exception_ptr error;
};

class PackedTraining::Participant final : public Trainer {
 public:
  explicit Participant(PackedTraining& packing) : packing_(packing) {}
  std::string name() const override { return packing_.inner_.name(); }
  bool supports(ModelKind k, const ModelConfig& mc) const override {
    return packing_.inner_.supports(k, mc);
  }
  bool supports_train(const TrainConfig& tc) const override {
    return packing_.inner_.supports_train(tc);
  }
  bool supports_precision(ModelKind k, Precision p) const override {
    return packing_.inner_.supports_precision(k, p);
  }
  ModelRun train(ModelKind k, const ModelConfig& mc, const TrainConfig& tc, const Cube& cube,
                 Progress* progress) override {
    return packing_.train_request(k, mc, tc, cube, progress);
  }

 private:
  PackedTraining& packing_;
};

PackedTraining::PackedTraining(Trainer& inner, std::function<void(const std::string&)> report)
    : inner_(inner), report_(std::move(report)), participant_(new Participant(*this)) {}

PackedTraining::~PackedTraining() = default;

Trainer& PackedTraining::trainer() {
  return *participant_;
}

int PackedTraining::slot_of_this_thread() const {
  const auto id = std::this_thread::get_id();
  for (size_t i = 0; i < thread_ids_.size(); ++i)
    if (thread_ids_[i] == id) return static_cast<int>(i);
  return -1;
}

bool PackedTraining::everyone_waits_for_training() const {
  if (pending_.empty()) return false;
  for (JobState s : state_)
    if (s == JobState::kWaitingTurn || s == JobState::kRunning) return false;
  return true;
}

void PackedTraining::pass_turn() {
  turn_ = -1;
  for (size_t i = 0; i < state_.size(); ++i)
    if (state_[i] == JobState::kWaitingTurn) {
      turn_ = static_cast<int>(i);
      return;
    }
}

std::vector<std::exception_ptr> PackedTraining::run(
    const std::vector<std::function<void()>>& jobs) {
  const size_t n = jobs.size();
  std::vector<std::exception_ptr> errors(n);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!state_.empty()) throw std::logic_error("PackedTraining::run is not reentrant");
    state_.assign(n, JobState::kWaitingTurn);
    thread_ids_.assign(n, std::thread::id());
    pass_turn();
  }
  auto body = [&](size_t i) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      thread_ids_[i] = std::this_thread::get_id();
      cv_.wait(lock, [&] { return turn_ == static_cast<int>(i); });
      state_[i] = JobState::kRunning;
    }
    try {
      jobs[i]();
    } catch (...) {
      errors[i] = std::current_exception();
    }
    std::unique_lock<std::mutex> lock(mu_);
    state_[i] = JobState::kDone;
    if (everyone_waits_for_training()) train_pending(lock);
    pass_turn();
    cv_.notify_all();
  };
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (size_t i = 0; i < n; ++i) threads.emplace_back(body, i);
  for (std::thread& t : threads) t.join();
  std::lock_guard<std::mutex> lock(mu_);
  state_.clear();
  thread_ids_.clear();
  turn_ = -1;
  return errors;
}

ModelRun PackedTraining::train_request(ModelKind k, const ModelConfig& mc, const TrainConfig& tc,
                                       const Cube& cube, Progress* progress) {
  std::unique_lock<std::mutex> lock(mu_);
  const int slot = slot_of_this_thread();
  if (slot < 0) {  // not one of run()'s jobs: nothing to pack with
    ++trainings_;
    lock.unlock();
    return inner_.train(k, mc, tc, cube, progress);
  }
  Request request(k, mc, tc, cube, progress, slot);
  pending_.push_back(&request);
  state_[static_cast<size_t>(slot)] = JobState::kWaitingTraining;
  if (everyone_waits_for_training()) train_pending(lock);
  pass_turn();
  cv_.notify_all();
  cv_.wait(lock, [&] { return request.done && turn_ == slot; });
  state_[static_cast<size_t>(slot)] = JobState::kRunning;
  if (request.error) std::rethrow_exception(request.error);
  return std::move(request.result);
}

void PackedTraining::train_pending(std::unique_lock<std::mutex>& lock) {
  std::vector<Request*> requests;
  requests.swap(pending_);
  std::sort(requests.begin(), requests.end(),
            [](const Request* a, const Request* b) { return a->slot < b->slot; });
  // Equal requests in groups, each group in job order: the packed cube's node order, and so
  // the log, do not depend on which job asked first.
  std::vector<std::vector<Request*>> groups;
  for (Request* r : requests) {
    auto same = [&](const std::vector<Request*>& g) {
      const Request& f = *g.front();
      return same_training(f.kind, f.mc, f.tc, f.cube.ntime(), r->kind, r->mc, r->tc,
                           r->cube.ntime());
    };
    auto g = std::find_if(groups.begin(), groups.end(), same);
    if (g == groups.end())
      groups.push_back({r});
    else
      g->push_back(r);
  }
  // Every other job waits for its request, so nothing changes while the lock is released.
  lock.unlock();
  for (const std::vector<Request*>& group : groups) {
    try {
      train_group(group);
    } catch (...) {
      for (Request* r : group) r->error = std::current_exception();
    }
  }
  lock.lock();
  trainings_ += static_cast<long>(groups.size());
  for (const std::vector<Request*>& group : groups) {
    packed_trainings_ += group.size() > 1;
    for (Request* r : group) {
      r->done = true;
      state_[static_cast<size_t>(r->slot)] = JobState::kWaitingTurn;
    }
  }
}

void PackedTraining::train_group(const std::vector<Request*>& group) {
  const Request& first = *group.front();
  if (group.size() == 1) {
    group.front()->result =
        inner_.train(first.kind, first.mc, first.tc, first.cube, first.progress);
    return;
  }
  // One cube of every request's nodes, each keeping its own event's random-stream key. The
  // trainers read only the series, the counts and the keys.
  Cube packed;
  packed.time = first.cube.time;
  size_t total = 0;
  for (const Request* r : group) total += r->cube.nnode();
  packed.node_lat.reserve(total);
  packed.tec.reserve(total * first.cube.ntime());
  packed.rng_node_keys.reserve(total);
  for (const Request* r : group) {
    const Cube& c = r->cube;
    if (c.tec.size() != c.nnode() * c.ntime())
      throw std::logic_error("packed training: a cube's tec does not hold nodes x epochs values");
    packed.node_lat.insert(packed.node_lat.end(), c.node_lat.begin(), c.node_lat.end());
    packed.node_lon.insert(packed.node_lon.end(), c.node_lon.begin(), c.node_lon.end());
    packed.node_distance_km.insert(packed.node_distance_km.end(), c.node_distance_km.begin(),
                                   c.node_distance_km.end());
    packed.tec.insert(packed.tec.end(), c.tec.begin(), c.tec.end());
    for (size_t n = 0; n < c.nnode(); ++n) packed.rng_node_keys.push_back(c.rng_node(n));
  }
  if (report_)
    report_("pack: training " + std::string(model_name(first.kind)) + " for " +
            std::to_string(group.size()) + " events together (" + std::to_string(total) +
            " nodes)");
  ModelRun run = inner_.train(first.kind, first.mc, first.tc, packed, nullptr);
  const size_t nt = first.cube.ntime();
  if (run.predicted.size() != total * nt || run.train_rmse.size() != total ||
      run.test_rmse.size() != total || run.epoch_loss.size() % total != 0 ||
      run.params.size() % total != 0 || (!run.stop_epoch.empty() && run.stop_epoch.size() != total))
    throw std::logic_error(inner_.name() + " returned arrays of the wrong size for a packed cube");
  const size_t nep = run.epoch_loss.size() / total, npar = run.params.size() / total;
  size_t node0 = 0;
  for (Request* r : group) {
    const size_t nn = r->cube.nnode();
    auto slice = [&](const auto& v, size_t per_node) {
      using V = std::decay_t<decltype(v)>;
      return V(v.begin() + static_cast<std::ptrdiff_t>(node0 * per_node),
               v.begin() + static_cast<std::ptrdiff_t>((node0 + nn) * per_node));
    };
    ModelRun& s = r->result;
    s.kind = run.kind;
    s.nnode = nn;
    s.ntime = nt;
    s.predicted = slice(run.predicted, nt);
    s.epoch_loss = slice(run.epoch_loss, nep);
    s.train_rmse = slice(run.train_rmse, 1);
    s.test_rmse = slice(run.test_rmse, 1);
    if (!run.stop_epoch.empty()) s.stop_epoch = slice(run.stop_epoch, 1);
    s.params = slice(run.params, npar);
    s.train_seconds = run.train_seconds;  // the shared training's wall time
    s.device = run.device;
    if (r->progress) r->progress->advance(static_cast<long>(nn));
    node0 += nn;
  }
}

}  // namespace tecscan
