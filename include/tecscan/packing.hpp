// Several events' scans sharing one training per model: the scans run side by side, and when
// every one of them waits for a training, equal requests (same model, sizes, training
// settings and series length) are trained as one cube holding all their nodes, so on the GPU
// the nodes of every event fill the same launches. Each node keeps its own event's index as the
// key of its random streams (Cube::rng_node), and every trainer trains a node from its series
// and its key alone, so an event's results are bit-identical whether it ran alone or packed.
#pragma once
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tecscan/trainer.hpp"

namespace tecscan {

class PackedTraining {
 public:
  // inner: the trainer that trains the packed cubes (it sees one call per model and fold).
  // report: receives one line per packed training ("pack: training mlp for 3 events together
  // (249 nodes)"); unset: nothing is said. A packed training advances each event's progress bar
  // when it ends (the bars of its events are not advanced node by node).
  explicit PackedTraining(Trainer& inner, std::function<void(const std::string&)> report = {});
  ~PackedTraining();

  // The trainer the jobs of run() use. Its train() from a job's thread waits until every job
  // that has not finished waits in train() too, then trains all waiting requests (equal ones
  // as one packed cube) and returns each job its own nodes' ModelRun. Called from any other
  // thread it trains directly with `inner`.
  Trainer& trainer();

  // Runs jobs[i] on a thread of its own, one job at a time in index order (so files, HDF5 and
  // the log see one job at a time), switching only while a job waits in trainer().train().
  // Returns each job's exception (null when it returned). A job's exception does not stop the
  // others; nothing else runs meanwhile (one run() at a time).
  std::vector<std::exception_ptr> run(const std::vector<std::function<void()>>& jobs);

  // Trainings done so far by `inner` and how many of them held more than one event's nodes.
  long trainings() const { return trainings_; }
  long packed_trainings() const { return packed_trainings_; }

 private:
  struct Request;
  class Participant;
  enum class JobState { kWaitingTurn, kRunning, kWaitingTraining, kDone };

  ModelRun train_request(ModelKind k, const ModelConfig& mc, const TrainConfig& tc,
                         const Cube& cube, Progress* progress);
  int slot_of_this_thread() const;  // -1 outside run()'s jobs
  bool everyone_waits_for_training() const;
  void pass_turn();                                        // to the lowest job waiting for its turn
  void train_pending(std::unique_lock<std::mutex>& lock);  // trains every pending request
  void train_group(const std::vector<Request*>& group);

  Trainer& inner_;
  std::function<void(const std::string&)> report_;
  std::unique_ptr<Participant> participant_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread::id> thread_ids_;
  std::vector<JobState> state_;
  int turn_ = -1;  // the job allowed to run (-1: none)
  std::vector<Request*> pending_;
  long trainings_ = 0, packed_trainings_ = 0;
};

// Whether two training requests are the same work for different nodes, so they can be trained
// as one cube: kind, every ModelConfig and TrainConfig field, and the series length.
bool same_training(ModelKind ka, const ModelConfig& ma, const TrainConfig& ta, size_t ntime_a,
                   ModelKind kb, const ModelConfig& mb, const TrainConfig& tb, size_t ntime_b);

}  // namespace tecscan
