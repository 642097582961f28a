// Reads one IONEX file through tecscan's public API and prints what run.sh checks against the
// file's text: the number of TEC maps, the grid and the first value of the first map.
#include <cstdio>
#include <exception>

#include "tecscan/ionex.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s IONEX_FILE\n", argv[0]);
    return 2;
  }
  try {
    const tecscan::IonexFile file = tecscan::read_ionex(argv[1]);
    std::printf("maps %zu grid %dx%d first %.1f\n", file.maps.size(), file.grid.nlat,
                file.grid.nlon, file.maps.at(0).tec.at(0));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
