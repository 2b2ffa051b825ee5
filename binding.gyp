# deconv.node for node-gyp. CMakeLists.txt (cmake-js) is the main build; this
# file builds the same sources with the same definitions. Keep them in step.
#
#   node scripts/build-native.mjs --with node-gyp   (local Node headers)
{
  'variables': {
    # package.json is the single source of truth for the version.
    'deconv_version': '<!(node -p "require(\'./package.json\').version")',
    # Backends, mirroring CMakeLists.txt's options. scripts/build-native.mjs
    # sets them (`node-gyp rebuild -- -Ddeconv_with_onednn=1 ...`) from what
    # scripts/fetch-onednn.mjs resolved:
    #   deconv_with_onednn      1: build native/onednn/*.cc (DECONV_WITH_ONEDNN)
    #   deconv_onednn_include   the directory holding dnnl.hpp
    #   deconv_onednn_library   the libdnnl.so* file to link against
    #   deconv_onednn_bundle    1: copy that file into build/Release and give
    #                           deconv.node the RUNPATH $ORIGIN (the file must be
    #                           named libdnnl.so.3, the SONAME, as in .deps/)
    #   deconv_onednn_rpath     otherwise: a RUNPATH for the library's directory
    #                           ('' when the loader searches it anyway)
    #   deconv_onednn_reason    without oneDNN: why (buildInfo() reports it)
    'deconv_with_onednn%': 0,
    'deconv_onednn_include%': '',
    'deconv_onednn_library%': '',
    'deconv_onednn_bundle%': 0,
    'deconv_onednn_rpath%': '',
    'deconv_onednn_reason%': '',
    # cuDNN (headers only; the libraries are loaded at run time):
    #   deconv_with_cudnn       1: build native/cudnn/*.cc (DECONV_WITH_CUDNN)
    #   deconv_cuda_include     directories holding cuda.h and cudnn.h (space-separated)
    #   deconv_cudnn_reason     without cuDNN: why (buildInfo() reports it)
    'deconv_with_cudnn%': 0,
    'deconv_cuda_include%': '',
    'deconv_cudnn_reason%': '',
  },
  'targets': [
    {
      'target_name': 'deconv',
      'sources': [
        # Every .cc in native/core/ (backend-neutral C++17) and native/napi/
        # (the binding), as CMakeLists.txt globs them; napi files that need a
        # backend guard themselves with DECONV_WITH_<NAME>.
        '<!@(node -p "[\'core\', \'napi\'].flatMap(d => require(\'fs\').readdirSync(\'native/\' + d).filter(f => f.endsWith(\'.cc\')).sort().map(f => \'native/\' + d + \'/\' + f)).join(\' \')")',
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
        # oneDNN: every .cc in native/onednn/, its headers and library.
        [ 'deconv_with_onednn==1', {
          'defines': [ 'DECONV_WITH_ONEDNN' ],
          'sources': [
            '<!@(node -p "require(\'fs\').readdirSync(\'native/onednn\').filter(f => f.endsWith(\'.cc\')).sort().map(f => \'native/onednn/\' + f).join(\' \')")',
          ],
          'include_dirs': [ '<(deconv_onednn_include)' ],
          'libraries': [ '<(deconv_onednn_library)' ],
          # OpenMP for the backend's own parallel loops: the GNU runtime libdnnl uses too.
          'cflags_cc': [ '-fopenmp' ],
          'ldflags': [ '-fopenmp' ],
          'conditions': [
            [ 'deconv_onednn_bundle==1', {
              # '$$' is make's escape: the binary gets the literal $ORIGIN.
              'ldflags': [ "-Wl,-rpath,'$$ORIGIN'" ],
              'copies': [ {
                'destination': '<(PRODUCT_DIR)',
                'files': [ '<(deconv_onednn_library)' ],
              } ],
            } ],
            [ 'deconv_onednn_bundle!=1 and deconv_onednn_rpath!=""', {
              'ldflags': [ '-Wl,-rpath,<(deconv_onednn_rpath)' ],
            } ],
          ],
        }, {
          'conditions': [
            [ 'deconv_onednn_reason!=""', {
              'defines': [ 'DECONV_ONEDNN_MISSING_REASON="<(deconv_onednn_reason)"' ],
            } ],
          ],
        } ],
        # cuDNN: every .cc in native/cudnn/, compiled against the headers only.
        [ 'deconv_with_cudnn==1', {
          'defines': [ 'DECONV_WITH_CUDNN' ],
          'sources': [
            '<!@(node -p "require(\'fs\').readdirSync(\'native/cudnn\').filter(f => f.endsWith(\'.cc\')).sort().map(f => \'native/cudnn/\' + f).join(\' \')")',
          ],
          'include_dirs': [ '<@(deconv_cuda_include)' ],
          'libraries': [ '-ldl' ],
        }, {
          'conditions': [
            [ 'deconv_cudnn_reason!=""', {
              'defines': [ 'DECONV_CUDNN_MISSING_REASON="<(deconv_cudnn_reason)"' ],
            } ],
          ],
        } ],
      ],
    },
  ],
}
