# 问题（RFC 9457）：各状态的标题，以及各层共用的说明。各领域的说明见 problems-*.ftl。

problem-title-400 = 请求有误
problem-title-401 = 未登录或登录已失效
problem-title-403 = 无权操作
problem-title-404 = 未找到
problem-title-405 = 不支持该请求方法
problem-title-408 = 请求超时
problem-title-409 = 状态冲突
problem-title-413 = 请求内容过大
problem-title-415 = 不支持的内容类型
problem-title-422 = 无法处理的内容
problem-title-423 = 已锁定
problem-title-429 = 请求过于频繁
problem-title-500 = 服务器内部错误
problem-title-503 = 服务暂不可用

problem-route_not_found-any = 没有与此路径匹配的接口。
problem-method_not_allowed = 此路径不支持该请求方法。
problem-payload_too_large-any = 请求内容过大。
problem-unsupported_media_type-any = 不支持该内容类型。
problem-internal_error = 发生了意外错误，已记录在案。
problem-bad_request-any = 无法处理该请求。
