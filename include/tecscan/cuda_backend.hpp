// The CUDA backend's public entry points (built only when TECSCAN_HAVE_CUDA).
#pragma once

namespace tecscan {

// Number of usable CUDA devices; 0 when the driver or a device is missing (never throws).
int cuda_device_count();

}  // namespace tecscan
