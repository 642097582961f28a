// make_cpu_model: the feed-forward models here, the recurrent ones via recurrent.hpp.
#include <string>

#include "recurrent.hpp"
#include "tecscan/cpu_model.hpp"
#include "tecscan/error.hpp"

namespace tecscan {

// Defined in mlp.cpp and cnn.cpp (float and double).
template <typename T>
std::unique_ptr<CpuModel<T>> make_mlp_model(const ModelConfig& c);
template <typename T>
std::unique_ptr<CpuModel<T>> make_cnn_model(const ModelConfig& c);

template <typename T>
std::unique_ptr<CpuModel<T>> make_cpu_model(ModelKind k, const ModelConfig& c) {
  switch (k) {
    case ModelKind::kMlp:
      return make_mlp_model<T>(c);
    case ModelKind::kCnn:
      return make_cnn_model<T>(c);
    case ModelKind::kRnn:
    case ModelKind::kGru:
    case ModelKind::kLstm:
    case ModelKind::kCnnLstm:
      return make_recurrent_model<T>(k, c);
  }
  throw InputError("unknown model kind " + std::to_string(static_cast<int>(k)));
}

template std::unique_ptr<CpuModel<float>> make_cpu_model<float>(ModelKind, const ModelConfig&);
template std::unique_ptr<CpuModel<double>> make_cpu_model<double>(ModelKind, const ModelConfig&);

}  // namespace tecscan
