#!/usr/bin/env bash
# Installs every build and test dependency of tecscan from Debian's packages (run as root).
# The CUDA Toolkit and cuDNN are not Debian packages: when nvcc is present the CUDA backend is
# built too, otherwise the CPU-only build is made.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libhdf5-dev libcli11-dev libeigen3-dev libarchive-dev zlib1g-dev
  nlohmann-json3-dev libtomlplusplus-dev libgtest-dev
  python3 python3-numpy python3-h5py python3-xarray python3-h5netcdf
  gzip
  libcurl4-openssl-dev openssl
  clang libclang-rt-14-dev
  gmt gmt-gshhg-low gmt-dcw ghostscript python3-pil
  slurmctld slurmd slurm-client munge
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi
