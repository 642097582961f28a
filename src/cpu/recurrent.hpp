// The recurrent CPU models (SimpleRNN, GRU, LSTM, CNN-LSTM) behind make_cpu_model: one factory
// so model_factory.cpp does not depend on how the recurrent files are organised.
#pragma once
#include <memory>

#include "tecscan/cpu_model.hpp"

namespace tecscan {

// k is one of kRnn, kGru, kLstm, kCnnLstm; defined for T = float and double.
template <typename T>
std::unique_ptr<CpuModel<T>> make_recurrent_model(ModelKind k, const ModelConfig& c);

}  // namespace tecscan
