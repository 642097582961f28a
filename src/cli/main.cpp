#include <cstdio>
int main() { std::puts("tecscan"); }
