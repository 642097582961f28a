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

Trainer* CompositeTrainer::choose(ModelKind k, const ModelConfig& mc, const TrainConfig& tc) const {
  for (const auto& c : trainers_)
    if (c->supports(k, mc) && c->supports_train(tc) && c->supports_precision(k, tc.precision))
      return c.get();
  return nullptr;
}

bool CompositeTrainer::supports_precision(ModelKind k, Precision p) const {
  for (const auto& t : trainers_)
    if (t->supports_precision(k, p)) return true;
  return false;
}

bool CompositeTrainer::thread_safe() const {
  for (const auto& t : trainers_)
    if (!t->thread_safe()) return false;
  return true;
}

bool CompositeTrainer::prefers_concurrent_models() const {
  for (const auto& t : trainers_)
    if (t->prefers_concurrent_models()) return true;
  return false;
}

bool CompositeTrainer::supports(ModelKind k, const ModelConfig& mc) const {
  return choose(k, mc) != nullptr;
}

ModelRun CompositeTrainer::train(ModelKind k, const ModelConfig& mc, const TrainConfig& tc,
                                 const Cube& cube, Progress* progress) {
  Trainer* const t = choose(k, mc, tc);
  // Early stopping and the precision make a trainer refuse a [train] configuration today.
  const std::string why = tc.patience > 0 ? " (early stopping runs on the CPU only)"
                          : tc.precision != Precision::kFp32
                              ? std::string(" (precision ") + precision_name(tc.precision) + ")"
                              : std::string();
  const char* train_reason = why.c_str();
  if (!t)
    throw InputError(std::string("no backend (") + name() + ") supports the model " +
                     model_name(k) + " with this [model] and [train] configuration" + train_reason);
  // A trainer before t that runs the model was passed over for a [train] option.
  const Trainer* refused = nullptr;
  for (const auto& c : trainers_) {
    if (c.get() == t) break;
    if (c->supports(k, mc)) {
      refused = c.get();
      break;
    }
  }
  if (announce_fallback_ && refused)
    std::fprintf(stderr,
                 "tecscan: %s: %s does not support this [train] configuration%s, training on %s\n",
                 model_name(k), refused->name().c_str(), train_reason, t->name().c_str());
  else if (announce_fallback_ && t != trainers_.front().get())
    std::fprintf(stderr, "tecscan: %s: %s does not support this configuration, training on %s\n",
                 model_name(k), trainers_.front()->name().c_str(), t->name().c_str());
  return t->train(k, mc, tc, cube, progress);
}

}  // namespace tecscan
