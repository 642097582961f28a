// Small recurrent (and CNN-LSTM) sizes for the GPU tests' host emulations: fast on the CPU,
// still several units per gate. The paper's activations (LSTM sigmoid, CNN-LSTM ReLU).
#pragma once
#include <string>
#include <vector>

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

// The tanh-cell variants (cuDNN's only cell, and a second activation for every check).
inline ModelConfig with_tanh(ModelConfig mc) {
  mc.lstm_activation = Activation::kTanh;
  mc.cnnlstm_activation = Activation::kTanh;
  return mc;
}

// One recurrent model and its sizes, labelled "lstm/tanh" where the activation varies.
struct RecurrentCase {
  ModelKind kind;
  ModelConfig mc;
  std::string label() const {
    std::string l = model_name(kind);
    if (kind == ModelKind::kLstm) l += std::string("/") + activation_name(mc.lstm_activation);
    if (kind == ModelKind::kCnnLstm) l += std::string("/") + activation_name(mc.cnnlstm_activation);
    return l;
  }
};

// Every recurrent model with the paper's activations, plus the tanh-cell LSTM and CNN-LSTM.
inline std::vector<RecurrentCase> recurrent_cases(const ModelConfig& base) {
  std::vector<RecurrentCase> c;
  for (ModelKind k : {ModelKind::kRnn, ModelKind::kGru, ModelKind::kLstm, ModelKind::kCnnLstm})
    c.push_back({k, base});
  c.push_back({ModelKind::kLstm, with_tanh(base)});
  c.push_back({ModelKind::kCnnLstm, with_tanh(base)});
  return c;
}

// recurrent_cases, plus for the small sizes (cnn_filters < 10) a CNN-LSTM whose front end pools
// three steps and drops the last (window 11, kernel 3): the block path's tests, host and GPU.
inline std::vector<RecurrentCase> block_recurrent_cases(const ModelConfig& base) {
  std::vector<RecurrentCase> cases = recurrent_cases(base);
  if (base.cnn_filters < 10) {
    ModelConfig wide = base;
    wide.window = 11, wide.cnn_kernel = 3, wide.cnn_pool = 2;
    cases.push_back({ModelKind::kCnnLstm, wide});
  }
  return cases;
}

}  // namespace tecscan::testing
