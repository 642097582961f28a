// The recurrence through cuDNN's RNN (v8 API): one forward / backward-data / backward-weights
// call per node, spread over streams; the conv front end, head, loss and Adam stay in the fused
// engine. The Keras parameters stay the master copy: every step they are scattered into each
// node's cuDNN weight space and the weight gradients gathered back, through one index map.
//
// Gate orders: cuDNN LSTM is i, f, g(c), o like Keras; cuDNN GRU is r, z(i), h where Keras is
// z, r, h, and cuDNN's GRU is exactly Keras' reset_after form (h' = tanh(W_h x + b_Wh +
// r * (R_h h + b_Rh))) with its input and recurrent biases = Keras' bias rows 0 and 1. SimpleRNN
// and LSTM have one Keras bias: it goes to cuDNN's input bias, the recurrent bias stays zero.
// A matrix of linear layer id is [units, inputs] row-major (element (j, k) at j * inputs + k).
//
// cuDNN is optional (TECSCAN_CUDNN): without it rnn_cudnn_absent.cpp defines these functions
// instead, cudnn_unsupported_reason() says so for every model (auto resolves to fused anyway)
// and the others throw std::logic_error.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "rnn_kernels.cuh"

struct CUstream_st;

namespace tecscan {
namespace rnn {

// Whether this build has the cuDNN path (rnn_cudnn.cu) or only rnn_cudnn_absent.cpp.
bool cudnn_compiled_in();

// Why cuDNN cannot run (k, mc); "" when it can (tanh cells only).
std::string cudnn_unsupported_reason(ModelKind k, const ModelConfig& mc);

// The Keras gate block held by cuDNN gate g (linLayerID mod gates).
int keras_gate_of_cudnn(ModelKind k, int cudnn_gate);

// One linear layer of a node's weight space as cudnnGetRNNWeightParams reports it; offsets in
// floats from the start of the weight space.
struct CudnnLinLayer {
  int id = 0;              // linLayerID: 0 .. G-1 input (W), G .. 2G-1 recurrent (R)
  long long matrix = 0;    // offset of the [rows, cols] matrix
  int rows = 0, cols = 0;  // units, inputs (W) or units (R)
  long long bias = 0;      // offset of its [units] bias
};

// For every float of a node's weight space, the Keras parameter index it holds, or -1 (padding,
// the always-zero recurrent bias of SimpleRNN / LSTM). Throws std::logic_error when the layers
// do not cover the Keras recurrent tensors exactly once.
std::vector<long long> cudnn_weight_map(const RnnShape& s, long long ws_floats,
                                        const std::vector<CudnnLinLayer>& layers);

// A rough upper bound of the cuDNN layer's device memory per node (weight spaces, reserve).
size_t cudnn_bytes_per_node(const RnnShape& s, int batch);

// The cuDNN recurrence for `nnode` nodes and minibatches of `batch` rows on the current device;
// its per-node streams fork from and join into `stream` (the training's leased context stream,
// cuda_context.hpp).
// (CUstream_st* is cudaStream_t, spelled so that plain C++ can declare this.)
std::unique_ptr<RecurrentLayer> make_cudnn_layer(const RnnShape& s, int nnode, int batch,
                                                 CUstream_st* stream);

}  // namespace rnn
}  // namespace tecscan
