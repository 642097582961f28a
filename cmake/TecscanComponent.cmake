# tecscan_add_component(<name> <source>...)
# One component of the tecscan library: the static library tecscan-<name> (file
# libtecscan_<name>.a), usable as tecscan::<name> both here (an ALIAS) and from the installed
# package (EXPORT_NAME), with tecscan's warnings on its own C++ sources and the public headers
# (include/) as its only public include directory. Appends the target to
# TECSCAN_COMPONENT_TARGETS in the caller's scope (the umbrella and install() use that list).
function(tecscan_add_component name)
  set(target tecscan-${name})
  add_library(${target} STATIC ${ARGN})
  add_library(tecscan::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES OUTPUT_NAME tecscan_${name} EXPORT_NAME ${name})
  target_compile_features(${target} PUBLIC cxx_std_17)
  target_include_directories(${target} PUBLIC
                             $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
                             $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  # Quoted: the warning list expands inside the generator expression.
  target_compile_options(${target} PRIVATE "$<$<COMPILE_LANGUAGE:CXX>:${TECSCAN_WARNINGS}>")
  set(TECSCAN_COMPONENT_TARGETS ${TECSCAN_COMPONENT_TARGETS} ${target} PARENT_SCOPE)
endfunction()
