// Small recurrent (and CNN-LSTM) sizes for the GPU tests' host emulations: fast on the CPU,
// still several units per gate. The paper's activations (LSTM sigmoid, CNN-LSTM ReLU).
#pragma once
#include "tecscan/model.hpp"

namespace tecscan::testing {

inline ModelConfig small_recurrent_config() {
  ModelConfig mc;
  mc.rnn_units = 6;
  mc.gru_units = 5;
  mc.lstm_units = 7;
  mc.lstm_dense = 3;
  mc.cnn_filters = 3;
  mc.cnnlstm_units = 4;
  return mc;
}

}  // namespace tecscan::testing
