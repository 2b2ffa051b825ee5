# deconv.node for node-gyp. CMakeLists.txt (cmake-js) is the main build; this
# file builds the same sources with the same definitions. Keep them in step.
#
#   node scripts/build-native.mjs --with node-gyp   (local Node headers)
{
  'variables': {
    # package.json is the single source of truth for the version.
    'deconv_version': '<!(node -p "require(\'./package.json\').version")',
    # Backend hooks (later releases), mirroring CMake's DECONV_WITH_ONEDNN /
    # DECONV_WITH_CUDNN options; set with e.g. `node-gyp rebuild -- -Ddeconv_with_onednn=1`.
    'deconv_with_onednn%': 0,
    'deconv_with_cudnn%': 0,
  },
  'targets': [
    {
      'target_name': 'deconv',
      'sources': [
        # core: backend-neutral C++17
        'native/core/problem.cc',
        # napi: the binding
        'native/napi/addon.cc',
        'native/napi/build_info.cc',
        'native/napi/problem_from_js.cc',
      ],
      # node-addon-api's include dir, plus NAPI_CPP_EXCEPTIONS and the flags
      # that turn C++ exceptions back on (Node's common.gypi disables them).
      'dependencies': [
        '<!(node -p "require(\'node-addon-api\').targets"):node_addon_api_except',
      ],
      'defines': [
        'DECONV_VERSION="<(deconv_version)"',
        'NAPI_VERSION=8',
        'NODE_ADDON_API_DISABLE_DEPRECATED',
      ],
      # Same language settings as the CMake build: strict C++17, RTTI on,
      # hidden symbols, -O2.
      'cflags': [ '-fvisibility=hidden' ],  # -Wall -Wextra come from Node's common.gypi
      'cflags_cc': [ '-std=c++17' ],
      'cflags_cc!': [ '-std=gnu++17', '-fno-rtti' ],
      'configurations': {
        'Release': {
          'cflags!': [ '-O3' ],
          'cflags_cc!': [ '-O3' ],
          'cflags': [ '-O2' ],
        },
      },
      'xcode_settings': {
        'CLANG_CXX_LANGUAGE_STANDARD': 'c++17',
        'GCC_ENABLE_CPP_RTTI': 'YES',
        'GCC_SYMBOLS_PRIVATE_EXTERN': 'YES',
      },
      'msvs_settings': {
        'VCCLCompilerTool': {
          'AdditionalOptions': [ '/std:c++17' ],
          'RuntimeTypeInfo': 'true',
        },
      },
      'conditions': [
        # Hook: the oneDNN backend's sources, include dirs and libraries go
        # here. Until they exist, the definition alone trips an #error in
        # native/napi/build_info.cc rather than building a binary that claims
        # a backend it does not have.
        [ 'deconv_with_onednn==1', { 'defines': [ 'DECONV_WITH_ONEDNN' ] } ],
        # Hook: likewise for cuDNN (CUDA runtime + cuDNN libraries).
        [ 'deconv_with_cudnn==1', { 'defines': [ 'DECONV_WITH_CUDNN' ] } ],
      ],
    },
  ],
}
