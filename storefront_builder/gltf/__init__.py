"""The glTF 2.0 binary writer and its extensions (GPU instancing)."""
