// The fused recurrent engine (kernels/rnn_kernels.cu) built by the host C++ compiler: the same
// source nvcc compiles, here for RnnEngine<HostOps> only (the DeviceOps parts need __CUDACC__).
#include "../../kernels/rnn_kernels.cu"
