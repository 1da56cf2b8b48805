{
  "targets": [
    {
      "target_name": "layerwatch_native",
      "sources": ["src/addon.c", "src/kernels.c"],
      "include_dirs": ["src"],
      "cflags": ["-O2", "-std=c11", "-Wall", "-ffp-contract=off"],
      "libraries": ["-lopenblas", "-llapacke", "-lpthread"]
    }
  ]
}
