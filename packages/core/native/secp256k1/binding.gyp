{
  "targets": [
    {
      "target_name": "zg_secp256k1",
      "sources": ["recover.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lsecp256k1"]
    }
  ]
}
