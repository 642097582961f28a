#include <cstdio>

#include "tecscan/error.hpp"
#include "tecscan/scan.hpp"

namespace tecscan {

CompositeTrainer::CompositeTrainer(std::vector<std::unique_ptr<Trainer>> trainers,
                                   bool announce_fallback)
    : trainers_(std::move(trainers)), announce_fallback_(announce_fallback) {}

std::string CompositeTrainer::name() const {
  std::string s;
  for (const auto& t : trainers_) s += (s.empty() ? "" : "+") + t->name();
  return s;
}

Trainer* CompositeTrainer::choose(ModelKind k, const ModelConfig& mc) const {
  for (const auto& t : trainers_)
    if (t->supports(k, mc)) return t.get();
  return nullptr;
}

bool CompositeTrainer::supports(ModelKind k, const ModelConfig& mc) const {
  return choose(k, mc) != nullptr;
}

ModelRun CompositeTrainer::train(ModelKind k, const ModelConfig& mc, const TrainConfig& tc,
                                 const Cube& cube, Progress* progress) {
  Trainer* t = choose(k, mc);
  if (!t)
    throw InputError(std::string("no backend (") + name() + ") supports the model " +
                     model_name(k) + " with this [model] configuration");
  if (announce_fallback_ && t != trainers_.front().get())
    std::fprintf(stderr, "tecscan: %s: %s does not support this configuration, training on %s\n",
                 model_name(k), trainers_.front()->name().c_str(), t->name().c_str());
  return t->train(k, mc, tc, cube, progress);
}

}  // namespace tecscan
