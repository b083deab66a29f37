using System.Text;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using OtaConsole.Core.Api;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Validation;

namespace OtaConsole.Endpoints;

/// <summary>
/// The Alibaba-compatible API (reference §8): GET /api/?Action=… and POST /api/ with a form body, answered by
/// <see cref="OtaApi"/>; and POST /api/uploads, the OSS-style PostObject that GenerateOTAUploadURL's ticket names.
/// </summary>
public static class ApiEndpoints
{
    public const string Path = "/api";
    /// <summary>An API request is a few hundred parameters at most; a larger body is refused before it is read.</summary>
    private const long MaxApiBodyBytes = 1024 * 1024;
    /// <summary>A form field of the upload (key, policy, Signature…) is short.</summary>
    private const int MaxUploadFieldChars = 16 * 1024;
    /// <summary>OSS's fields before the ticket is known are few (key, policy, OSSAccessKeyId, Signature, success_action_status, Content-Type…).</summary>
    private const int MaxFieldsBeforeTicket = 16;
    /// <summary>A form with a valid ticket may carry more (x-oss-meta-*), but not without end.</summary>
    private const int MaxUploadFields = 64;
    /// <summary>RFC 2046's longest boundary.</summary>
    private const int MaxBoundaryChars = 70;

    public static IEndpointRouteBuilder MapOtaApi(this IEndpointRouteBuilder app)
    {
        // The route matches "/api" and "/api/": Alibaba's clients add the slash to the endpoint they are given.
        // Signed with an access key (or an upload ticket), not a session.
        app.MapMethods(Path, [HttpMethods.Get, HttpMethods.Post], HandleAsync).DisableAntiforgery().AllowAnonymous().ExcludeFromDescription();
        app.MapPost(UploadStore.PathPrefix, UploadAsync).DisableAntiforgery().AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task HandleAsync(HttpContext context, OtaApi api, CancellationToken ct)
    {
        PlainAnswers(context);
        ApiAnswer answer;
        try
        {
            answer = await api.HandleAsync(context.Request.Method, await ParametersAsync(context.Request, ct), context.Connection.RemoteIpAddress?.ToString(), ct);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // A malformed or cut-off form, or Kestrel's refusal (BadHttpRequestException is an IOException).
            if (ct.IsCancellationRequested)
                return; // the client went away: nobody to answer
            var status = e is BadHttpRequestException { StatusCode: 413 } ? 413 : 400;
            answer = OtaApi.Refusal(new ApiException(status, "InvalidParameter", $"The request body could not be read as a form: {e.Message}"));
        }
        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(answer.ToJson(), ct);
    }

    /// <summary>Query and form parameters as they came, repeats included, so a name given twice is refused, not guessed at.</summary>
    private static async Task<List<KeyValuePair<string, string>>> ParametersAsync(HttpRequest request, CancellationToken ct)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in request.Query)
            result.AddRange(values.Select(v => new KeyValuePair<string, string>(name, v ?? "")));
        if (HttpMethods.IsPost(request.Method) && request.HasFormContentType)
        {
            if (MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.Charset.HasValue && !IsKnownCharset(type.Charset.Value))
                throw new InvalidDataException($"the form's charset '{NameRules.Excerpt(type.Charset.Value, 40)}' is not one the console reads; send UTF-8.");
            if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                limit.MaxRequestBodySize = MaxApiBodyBytes;
            var form = await request.ReadFormAsync(ct);
            if (form.Files.Count > 0)
                throw new InvalidDataException("the API takes no files; upload to the Host that GenerateOTAUploadURL returns.");
            foreach (var (name, values) in form)
                result.AddRange(values.Select(v => new KeyValuePair<string, string>(name, v ?? "")));
        }
        return result;
    }

    /// <summary>A charset .NET can decode (UTF-7, for one, it refuses to).</summary>
    private static bool IsKnownCharset(string charset)
    {
        try
        {
            Encoding.GetEncoding(HeaderUtilities.RemoveQuotes(charset).Value ?? "");
            return true;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>
    /// An OSS PostObject: multipart form fields key, policy, OSSAccessKeyId, Signature, success_action_status, and
    /// the file last. The ticket is checked as soon as key, policy and Signature have come, so a caller without one
    /// gets no further than a few short fields; the file streams to disk.
    /// </summary>
    private static async Task UploadAsync(HttpContext context, UploadStore uploads, CancellationToken ct)
    {
        PlainAnswers(context);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = uploads.MaxFileBytes + MaxApiBodyBytes;
        try
        {
            if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
                || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
                || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 } boundary)
                throw new UploadRefusedException(400, "An upload is a multipart/form-data POST (OSS PostObject).");
            if (boundary.Length > MaxBoundaryChars)
                throw new UploadRefusedException(400, $"The multipart boundary is longer than {MaxBoundaryChars} characters (RFC 2046).");

            var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var checkedTicket = false;
            var reader = new MultipartReader(boundary, context.Request.Body) { BodyLengthLimit = null };
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                    throw new UploadRefusedException(400, "Every part of the form needs Content-Disposition: form-data with a name.");
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (name.Equals("file", StringComparison.OrdinalIgnoreCase))
                {
                    var size = await uploads.ReceiveAsync(fields.GetValueOrDefault("key"), fields.GetValueOrDefault("policy"), fields.GetValueOrDefault("Signature"), section.Body, ct);
                    await UploadedAsync(context, fields.GetValueOrDefault("success_action_status"), fields["key"], size, ct);
                    return;
                }
                if (fields.Count >= (checkedTicket ? MaxUploadFields : MaxFieldsBeforeTicket))
                    throw new UploadRefusedException(400, checkedTicket
                        ? $"The form has more than {MaxUploadFields} fields."
                        : $"The form has more than {MaxFieldsBeforeTicket} fields before key, policy and Signature.");
                fields[name] = await ReadFieldAsync(section.Body, name, ct);
                if (!checkedTicket && fields.ContainsKey("key") && fields.ContainsKey("policy") && fields.ContainsKey("Signature"))
                {
                    uploads.Check(fields["key"], fields["policy"], fields["Signature"]);
                    checkedTicket = true;
                }
            }
            throw new UploadRefusedException(400, "The form has no file field (it comes last, after key, policy and Signature).");
        }
        catch (UploadRefusedException e)
        {
            await OssErrorAsync(context, e.Status, e.Status == 413 ? "EntityTooLarge" : e.Status == 403 ? "AccessDenied" : "InvalidArgument", e.Message, ct);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // A malformed or cut-off form (the reader's InvalidDataException, an early end of the body), or Kestrel's
            // refusal (BadHttpRequestException is an IOException: too large, or the client went away).
            if (context.Response.HasStarted || ct.IsCancellationRequested)
                return; // nobody to answer
            var status = e is BadHttpRequestException { StatusCode: 413 } ? 413 : 400;
            await OssErrorAsync(context, status, status == 413 ? "EntityTooLarge" : "MalformedPOSTRequest", "The form could not be read: " + e.Message, ct);
        }
    }

    private static async Task<string> ReadFieldAsync(Stream body, string name, CancellationToken ct)
    {
        using var text = new StreamReader(body, Encoding.UTF8);
        var buffer = new char[MaxUploadFieldChars + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await text.ReadAsync(buffer.AsMemory(length), ct)) > 0)
            length += read;
        if (length > MaxUploadFieldChars)
            throw new UploadRefusedException(400, $"The form field '{name}' is longer than {MaxUploadFieldChars} characters.");
        return new string(buffer, 0, length);
    }

    /// <summary>OSS's answers: 204 by default, 200 empty, or 201 with a small XML body naming the object.</summary>
    private static async Task UploadedAsync(HttpContext context, string? successStatus, string key, long size, CancellationToken ct)
    {
        var status = successStatus switch { "200" => 200, "201" => 201, _ => 204 };
        context.Response.StatusCode = status;
        if (status != 201)
            return;
        context.Response.ContentType = "application/xml";
        var location = $"{context.Request.Scheme}://{context.Request.Host}{UploadStore.PathPrefix}/{key}";
        await context.Response.WriteAsync(
            $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse><Bucket>otaconsole</Bucket><Location>{Xml(location)}</Location><Key>{Xml(key)}</Key><Size>{size}</Size></PostResponse>", ct);
    }

    private static async Task OssErrorAsync(HttpContext context, int status, string code, string message, CancellationToken ct)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/xml";
        await context.Response.WriteAsync(
            $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{Xml(NameRules.Excerpt(message, ApiException.MaxMessage))}</Message></Error>", ct);
    }

    private static string Xml(string text) => System.Security.SecurityElement.Escape(text) ?? "";

    /// <summary>Machines (API clients, devices) get the endpoint's own answers, never the console's error page.</summary>
    internal static void PlainAnswers(HttpContext context) => context.Features.Get<IStatusCodePagesFeature>()?.Enabled = false;
}
