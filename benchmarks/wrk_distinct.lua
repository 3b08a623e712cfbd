-- every request differs (memory, fit: the context changes), so no answer comes from the server's cache
-- (params: 24 distinct questions, cached after their first answer)
counter = 0
local path_kind = os.getenv("KIND") or "memory"
request = function()
  counter = counter + 1
  local ctx = 1000 + counter * 7 + math.random(0, 6)
  local p
  if path_kind == "memory" then
    p = "/api/memory?model=llama-3.1-8b&gpu=h100-sxm&weights=Q4_K_M&context=" .. ctx
  elseif path_kind == "fit" then
    p = "/api/fit?model=llama-3.1-8b&gpu=h100-sxm&context=" .. ctx
  else
    -- params has no context: a distinct question is another catalog model or a by-layer / tensors variant
    local models = {"llama-2-7b", "llama-3.1-8b", "mistral-7b-v0.1", "qwen3-8b", "gemma-2-9b", "phi-3-mini-4k",
                    "olmo-2-7b", "qwen2.5-7b", "falcon-7b", "gpt2-xl", "mixtral-8x7b", "deepseek-v2-lite"}
    p = "/api/params?model=" .. models[counter % #models + 1] .. "&by_layer=" .. (counter % 2 == 0 and "true" or "false")
  end
  return wrk.format("GET", p)
end
