// The table of networks (model_registry.hpp) and make_cpu_model, which reads it.
#include "tecscan/model_registry.hpp"

#include <stdexcept>
#include <string>

#include "tecscan/error.hpp"

namespace tecscan {

const char* gpu_path_name(GpuPath p) {
  return p == GpuPath::kFeedForward ? "feed-forward" : "recurrent";
}

const std::vector<ModelEntry>& model_registry() {
  static const std::vector<ModelEntry> table = [] {
    std::vector<ModelEntry> t = {mlp_entry(), cnn_entry(),  rnn_entry(),
                                 gru_entry(), lstm_entry(), cnn_lstm_entry()};
    // ModelKind's values key the random streams (rng.hpp) and index this table.
    for (size_t i = 0; i < t.size(); ++i)
      if (static_cast<size_t>(t[i].kind) != i)
        throw std::logic_error(std::string("model registry: entry ") + std::to_string(i) + " (" +
                               t[i].name + ") is out of ModelKind order");
    return t;
  }();
  return table;
}

const ModelEntry& model_entry(ModelKind k) {
  const std::vector<ModelEntry>& t = model_registry();
  const auto i = static_cast<size_t>(k);
  if (i >= t.size()) throw InputError("unknown model kind " + std::to_string(i));
  return t[i];
}

std::string model_names(const std::string& separator) {
  std::string names;
  for (const ModelEntry& e : model_registry()) names += (names.empty() ? "" : separator) + e.name;
  return names;
}

template <>
std::unique_ptr<CpuModel<float>> make_cpu_model<float>(ModelKind k, const ModelConfig& c) {
  return model_entry(k).make_cpu_float(c);
}

template <>
std::unique_ptr<CpuModel<double>> make_cpu_model<double>(ModelKind k, const ModelConfig& c) {
  return model_entry(k).make_cpu_double(c);
}

}  // namespace tecscan
