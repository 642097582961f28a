// The networks, each described once: a registry entry holds everything the rest of tecscan needs
// to know about a model (its name, inputs, parameter layout, FLOPs, CPU factory and which GPU
// path trains it). model.hpp's free functions (model_name, parse_model, parameter_layout, ...)
// and make_cpu_model read this table, so no switch over ModelKind lives elsewhere.
//
// Adding a seventh network: a ModelKind value and its [model] keys (model.hpp, config.cpp), one
// file src/cpu/<name>.cpp defining its entry (layout, FLOPs, CPU model) beside the others, one
// line in the table (src/cpu/model_registry.cpp), and one GPU policy file for its GPU path.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tecscan/cpu_model.hpp"
#include "tecscan/model.hpp"

namespace tecscan {

// Which GPU trainer takes the model: the feed-forward one (one thread block per node running
// whole epochs, kernels/ff_loop.cuh) or the recurrent one (cuda/rnn_training.hpp).
enum class GpuPath { kFeedForward, kRecurrent };
const char* gpu_path_name(GpuPath p);  // "feed-forward", "recurrent"

template <typename T>
using CpuModelFactory = std::unique_ptr<CpuModel<T>> (*)(const ModelConfig&);

struct ModelEntry {
  ModelKind kind;
  const char* name;          // config, CLI and output name ("cnn-lstm"; parse_model also takes
                             // it without '-' or with '_')
  const char* architecture;  // the Keras form, with the [model] keys that size it
  GpuPath gpu;
  int (*input_length)(const ModelConfig&);  // values per prediction
  // Tensors in Keras' shapes and order with contiguous offsets; throws InputError naming the
  // [model] key when the sizes are invalid (every other entry point validates through it).
  std::vector<TensorSpec> (*layout)(const ModelConfig&);
  double (*forward_macs)(const ModelConfig&);  // GEMM multiply-adds of one sample's forward
  CpuModelFactory<float> make_cpu_float;
  CpuModelFactory<double> make_cpu_double;
};

// Every network in ModelKind order (registry()[i].kind == ModelKind(i)).
const std::vector<ModelEntry>& model_registry();
// The entry of k; throws InputError for a value outside the enum.
const ModelEntry& model_entry(ModelKind k);
// Every network's name in registry order, joined by `separator` (help texts, error messages).
std::string model_names(const std::string& separator);

// Each network's entry, defined in its own file (src/cpu/mlp.cpp, cnn.cpp, rnn.cpp, gru.cpp,
// lstm.cpp, cnn_lstm.cpp).
ModelEntry mlp_entry();
ModelEntry cnn_entry();
ModelEntry rnn_entry();
ModelEntry gru_entry();
ModelEntry lstm_entry();
ModelEntry cnn_lstm_entry();

}  // namespace tecscan
