// make_recurrent_model: SimpleRNN, GRU, LSTM and CNN-LSTM, one file each.
#include <string>

#include "recurrent.hpp"
#include "tecscan/error.hpp"

namespace tecscan {

// Defined in rnn.cpp, gru.cpp, lstm.cpp and cnn_lstm.cpp (float and double).
template <typename T>
std::unique_ptr<CpuModel<T>> make_rnn_model(const ModelConfig& c);
template <typename T>
std::unique_ptr<CpuModel<T>> make_gru_model(const ModelConfig& c);
template <typename T>
std::unique_ptr<CpuModel<T>> make_lstm_model(const ModelConfig& c);
template <typename T>
std::unique_ptr<CpuModel<T>> make_cnn_lstm_model(const ModelConfig& c);

template <typename T>
std::unique_ptr<CpuModel<T>> make_recurrent_model(ModelKind k, const ModelConfig& c) {
  switch (k) {
    case ModelKind::kRnn:
      return make_rnn_model<T>(c);
    case ModelKind::kGru:
      return make_gru_model<T>(c);
    case ModelKind::kLstm:
      return make_lstm_model<T>(c);
    case ModelKind::kCnnLstm:
      return make_cnn_lstm_model<T>(c);
    default:
      break;
  }
  throw InputError(std::string(model_name(k)) + " is not a recurrent model");
}

template std::unique_ptr<CpuModel<float>> make_recurrent_model<float>(ModelKind,
                                                                      const ModelConfig&);
template std::unique_ptr<CpuModel<double>> make_recurrent_model<double>(ModelKind,
                                                                        const ModelConfig&);

}  // namespace tecscan
