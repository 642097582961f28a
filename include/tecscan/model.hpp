// The six predictors of the paper (Table 1): names, sizes and the flat parameter layout that
// the CPU and GPU backends share. Tensors follow Keras' own shapes and gate orders, so a
// Keras/PyTorch reference can load them unchanged.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tecscan {

enum class ModelKind { kMlp = 0, kCnn = 1, kRnn = 2, kGru = 3, kLstm = 4, kCnnLstm = 5 };
constexpr int kNumModels = 6;

const char* model_name(ModelKind k);             // "mlp", "cnn", "rnn", "gru", "lstm", "cnn-lstm"
ModelKind parse_model(const std::string& name);  // throws InputError listing the valid names
std::vector<ModelKind> all_models();

enum class Activation { kRelu, kTanh, kSigmoid };
const char* activation_name(Activation a);
Activation parse_activation(const std::string& name);

// Architecture sizes (configs/default.toml [model]). Defaults = the paper's Table 1.
struct ModelConfig {
  int window = 4;         // previous values per prediction (CNN-LSTM uses subseq * window)
  int mlp_hidden = 100;   // MLP: Dense(h) ReLU -> Dense(h) ReLU -> Dense(1)
  int cnn_filters = 100;  // CNN: Conv1D(f, k) ReLU -> Conv1D(f, k) ReLU -> MaxPool(p) -> Dense(1)
  int cnn_kernel = 2;
  int cnn_pool = 2;
  int rnn_units = 100;  // SimpleRNN(u, tanh) -> Dense(1)
  int gru_units = 100;  // GRU(u, tanh), Keras 2 default reset_after=true -> Dense(1)
  bool gru_reset_after = true;
  int lstm_units = 200;  // LSTM(u, cell activation) -> Dense(d) -> Dense(1)
  int lstm_dense = 100;
  Activation lstm_activation = Activation::kSigmoid;  // the paper says sigmoid
  int cnnlstm_subseq = 2;  // CNN-LSTM: TimeDistributed(CNN) over subseq blocks of `window`
  int cnnlstm_units = 100;
  Activation cnnlstm_activation = Activation::kRelu;  // the paper says ReLU
};

// Values per prediction: window, or cnnlstm_subseq * window for the CNN-LSTM.
int input_length(ModelKind k, const ModelConfig& c);

enum class InitKind { kGlorotUniform, kOrthogonal, kZeros, kLstmBias /* zeros, forget gate 1 */ };

// One tensor of a model. Shapes are Keras': Dense kernel [in, out]; Conv1D kernel
// [width, in_channels, filters]; recurrent kernel [units, gates*units] with gate order
// SimpleRNN: -, GRU: z, r, h, LSTM: i, f, c, o. GRU bias (reset_after) is [2, 3*units]:
// row 0 input bias, row 1 recurrent bias. fan_in / fan_out follow Keras for Glorot.
struct TensorSpec {
  std::string name;  // e.g. "dense_1/kernel"
  std::vector<int> shape;
  InitKind init;
  int64_t offset;  // into the flat parameter vector
  int64_t size;
  int fan_in, fan_out;
};

std::vector<TensorSpec> parameter_layout(ModelKind k, const ModelConfig& c);
int64_t parameter_count(ModelKind k, const ModelConfig& c);

// Keras-default initialisation, deterministic in (seed, node, model): Glorot-uniform kernels,
// orthogonal recurrent kernels (QR of a Gaussian matrix, sign-fixed), zero biases, LSTM
// forget-gate bias 1. Uses tecscan/rng.hpp so any backend reproduces it from the same key.
void init_parameters(ModelKind k, const ModelConfig& c, uint64_t seed, uint64_t node,
                     float* params);

// Multiply-adds of one forward pass for one sample (FLOPs = 2x); backward counted as 2x forward.
double forward_flops_per_sample(ModelKind k, const ModelConfig& c);

}  // namespace tecscan
